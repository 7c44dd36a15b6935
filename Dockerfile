# monitorlift as a container job: `docker run -v $PWD/config:/config monitorlift export`
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY queries ./queries
COPY config.schema.json config.example.json ./
USER node
ENTRYPOINT ["node", "/app/bin/monitorlift.js"]
CMD ["export", "--config", "/config/config.json"]
